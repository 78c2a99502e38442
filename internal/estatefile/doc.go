// Package estatefile reads an emulator estate from a YAML or JSON file into
// an awsemu.Estate, rejecting unknown fields so that typos do not pass
// silently. It exists so that internal/awsemu stays standard-library only.
//
// Imports: the standard library, sigs.k8s.io/yaml and internal/awsemu.
package estatefile
