// Package iostreams carries a command's standard streams and what is known
// about them (terminal or pipe), so that commands render for a person on a
// terminal and for a program on a pipe, and tests can check both.
//
// It imports only the standard library and go-isatty.
package iostreams
