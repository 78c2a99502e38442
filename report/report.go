package report

import (
	"io"

	"github.com/cmkguard/cmkguard/finding"
)

// Reporter writes a whole report in one format. Writers stream where the
// format allows: they must not build a second copy of r.Findings.
type Reporter interface {
	Write(w io.Writer, r *finding.Report) error
}
