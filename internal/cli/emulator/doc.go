// Package emulator is the `cmkguard emulator` command: it serves the local
// AWS emulator (internal/awsemu) on a loopback address, seeded from an
// estate file or the embedded demo, and prints the environment to export so
// that cmkguard, the AWS CLI or any SDK talks to it.
//
// Imports: cobra, the project's cli plumbing (factory, exit, iostreams),
// internal/awsemu, internal/estatefile and the module root (the demo estate).
package emulator
