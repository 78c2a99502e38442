// PLACEHOLDER from branch h/iactf — drop this file when h/iaccfn (the real
// CloudFormation adapter) is merged. It exists only so that
// internal/cli/iac compiles against the agreed signatures before then: it
// detects nothing, so no template is read (and none is reported as read).
package cloudformation

import (
	"errors"

	"github.com/cmkguard/cmkguard/state"
)

// Options are the CloudFormation parameter values (placeholder).
type Options struct{ Params map[string]string }

// Detect is the placeholder: it recognises no template.
func Detect([]byte) bool { return false }

// Parse is the placeholder: never called, since Detect is false.
func Parse(string, []byte, Options) (state.State, error) {
	return state.State{}, errors.New("the CloudFormation adapter is not in this build")
}

// LoadParams is the placeholder: --cf-params fails with a clear error.
func LoadParams(path string) (map[string]string, error) {
	return nil, errors.New("--cf-params " + path + ": the CloudFormation adapter is not in this build")
}
