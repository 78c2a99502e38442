// Package printable makes text read from elsewhere (AWS names, tags, ids,
// error messages, files) safe to show on a terminal: control characters,
// terminal escape sequences, invalid UTF-8 and invisible formatting
// characters are written as Go-style escapes (\n, \x1b, \u202e), so that a
// tag cannot forge a line of a report or send a sequence to the terminal.
// Printable Unicode is kept as it is.
//
// It imports only the standard library.
package printable
