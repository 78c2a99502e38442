// Package cmkguard holds what the whole module shares at its root: the
// embedded demo estate, so that `cmkguard emulator --estate demo` works from
// a built binary.
package cmkguard

import _ "embed"

// DemoEstateYAML is testdata/estates/demo.yaml: a realistic estate with every
// verdict class the audit produces.
//
//go:embed testdata/estates/demo.yaml
var DemoEstateYAML []byte
