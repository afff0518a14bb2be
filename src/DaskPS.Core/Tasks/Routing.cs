namespace DaskPS.Tasks
{
    /// <summary>
    /// Keeps DaskPS tasks off Python workers in mixed clusters: every DaskPS task asks for one unit of this
    /// resource and every DaskPS worker advertises one unit per task slot. Python workers have none.
    /// Never combined with allow_other_workers: stealing would then ignore resources.
    /// </summary>
    public static class Routing
    {
        public const string Resource = "DaskPS";
    }
}
