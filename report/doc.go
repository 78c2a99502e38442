// Package report renders an audit's findings in the formats people and tools
// read: one file per format, each a Reporter.
//
// It may import finding and state (and the standard library); never the AWS
// SDK. Writers stream finding by finding and never copy the findings.
package report
