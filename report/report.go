// Package report renders an audit's findings in the formats people and tools
// read: one file per format, each a Reporter.
//
// It imports finding and state only; never the AWS SDK.
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
