// Package outfile writes a command's output files safely. A command names
// its inputs and outputs to a Set and calls Check before it does any work,
// so that a wrong path fails at once rather than after a long scan: an
// output may not be a directory, its directory must exist and be writable,
// and it may not be the same file as an input or another output (compared
// with os.SameFile, so symbolic links and other spellings of the same path
// are caught). Write then writes each file to a temporary file in the same
// directory, syncs it and renames it over the target, so that a reader (or
// a crash) sees the old file or the new one, never half of one.
//
// It imports only the standard library.
package outfile
