// Package plural writes counts of things as people read them: "1 concern",
// "3 concerns", "1 child's file", "2 children's files". Each call names
// both forms, so irregular words need no rules and the words stay in the
// sentence that uses them.
package plural

import "strconv"

// Count is n followed by one when n is 1 (or -1), many otherwise (0 too:
// "0 concerns").
func Count(n int, one, many string) string {
	return strconv.Itoa(n) + " " + Word(n, one, many)
}

// Word is one when n is 1 (or -1), many otherwise, for sentences where the
// number stands apart from its noun ("1 problem was found").
func Word(n int, one, many string) string {
	if n == 1 || n == -1 {
		return one
	}
	return many
}
