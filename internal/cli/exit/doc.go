// Package exit maps command outcomes to process exit codes, in one place.
//
//	0  success, nothing at or above --fail-on
//	1  error (AWS, I/O, anything unexpected)
//	2  usage (bad flags or arguments)
//	3  findings at or above --fail-on
//	130 interrupted (Ctrl-C, SIGTERM)
//
// It imports only the standard library.
package exit
