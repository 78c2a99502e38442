package report

import "flag"

// The -update flag rewrites every golden file under testdata/. It is declared
// once for the whole package; tests read it with goldenUpdateRequested.
var _ = flag.Bool("update", false, "rewrite the golden files under testdata/")
