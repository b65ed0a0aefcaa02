package concern

// visibleSQL is the SQL condition "the reader may see the concern alias":
// concern_visible_to()'s rule, with its common case — a concern that is not
// restricted, read by someone excluded from nothing in the school —
// answered once per query instead of by a function call for every row (a
// call cannot be inlined; at scale it was most of the queue's cost).
// Migration 00125 does the same in the row-level security policy. school
// and user are the SQL of the school's and the reader's ids, usually
// parameters; the query must keep alias to that school.
func visibleSQL(alias, school, user string) string {
	return `((NOT ` + alias + `.restricted AND ` + alias + `.school_id = ` + school + `
		AND NOT EXISTS (SELECT 1 FROM concern_access vx
		                WHERE vx.school_id = ` + school + ` AND vx.user_id = ` + user + ` AND vx.kind = 'excluded'))
		OR concern_visible_to(` + alias + `.school_id, ` + alias + `.id, ` + alias + `.restricted, ` + user + `))`
}
