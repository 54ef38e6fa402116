package staff

import (
	"fmt"
	"net/mail"
	"regexp"
	"strings"
	"time"
)

// Roles a staff account may have, from least to most allowed.
const (
	RoleAgent      = "agent"
	RoleSupervisor = "supervisor"
	RoleAdmin      = "admin"
)

// Account is one staff member. Its ID is the JWT sub of the member's
// tokens and the agent id routing knows them by, so it never changes.
type Account struct {
	ID    string `json:"id"`
	Email string `json:"email"`
	Name  string `json:"name"`
	Role  string `json:"role"`
	// Groups are the agent groups (routing.groups[].name) the member works
	// in; an agent has at least one.
	Groups []string `json:"groups"`
	// Languages are the languages (BCP 47) the member reads and writes,
	// the one they write in first; the node translates between them and a
	// customer who speaks none (docs/TRANSLATION.md). Empty: their
	// groups' languages.
	Languages []string  `json:"languages,omitempty"`
	Disabled  bool      `json:"disabled"`
	Created   time.Time `json:"created"`
	Updated   time.Time `json:"updated"`
	// SignedOut is when the account's password was last changed or the
	// account disabled (to the second): sign-in tokens issued before are
	// refused (IssuedBefore), so a stolen cookie does not outlive either.
	SignedOut time.Time `json:"signed_out,omitzero"`
}

// IssuedBefore reports whether a token issued at iat predates a's
// SignedOut. Both are whole seconds (JWT times are), so a token issued in
// the second of the change is still good: a sign-in right after a
// password change must work.
func (a Account) IssuedBefore(iat time.Time) bool {
	return iat.Before(a.SignedOut)
}

// record is an Account as stored in staff.db: with its password's argon2id
// PHC string, which never leaves the package.
type record struct {
	Account
	Hash string `json:"hash"`
}

var (
	idRE    = regexp.MustCompile(`^[a-z0-9][a-z0-9._-]{0,63}$`)
	groupRE = regexp.MustCompile(`^[a-z][a-z0-9_-]{0,63}$`)
)

// Validate checks every field of a (normalised by normalize) and returns
// an ErrInvalid error naming the first bad one.
func (a *Account) Validate() error {
	bad := func(field string, v any, reason string) error {
		return fmt.Errorf("%w: %s %q: %s", ErrInvalid, field, v, reason)
	}
	if !idRE.MatchString(a.ID) {
		return bad("id", a.ID, "want 1 to 64 of a-z 0-9 . _ - starting with a letter or digit")
	}
	if err := checkEmail(a.Email); err != nil {
		return err
	}
	if a.Name == "" || len(a.Name) > 200 || strings.ContainsFunc(a.Name, isControl) {
		return bad("name", a.Name, "want 1 to 200 bytes without control characters")
	}
	switch a.Role {
	case RoleAgent, RoleSupervisor, RoleAdmin:
	default:
		return bad("role", a.Role, "want agent, supervisor or admin")
	}
	if a.Role == RoleAgent && len(a.Groups) == 0 {
		return bad("groups", "", "an agent works in at least one group")
	}
	for _, g := range a.Groups {
		if !groupRE.MatchString(g) {
			return bad("groups", g, "want a group name such as es-support ([a-z][a-z0-9_-]*)")
		}
	}
	if len(a.Languages) > maxLanguages {
		return bad("languages", strings.Join(a.Languages, ","), fmt.Sprintf("at most %d", maxLanguages))
	}
	for _, l := range a.Languages {
		if !langRE.MatchString(l) {
			return bad("languages", l, "want a BCP 47 language such as en, es or pt-BR")
		}
	}
	return nil
}

// maxLanguages bounds a member's languages.
const maxLanguages = 16

var langRE = regexp.MustCompile(`^[a-zA-Z]{2,3}(-[a-zA-Z0-9]{2,8}){0,3}$`)

// ParseLanguages splits a comma-separated list of languages ("en, es-MX").
func ParseLanguages(s string) []string {
	var out []string
	for l := range strings.SplitSeq(s, ",") {
		if l = strings.TrimSpace(l); l != "" {
			out = append(out, l)
		}
	}
	return out
}

// Prepare returns a normalised (see normalize), with an id derived from
// its email when it has none, and an ErrInvalid error naming the first bad
// field. Add prepares every account; callers may check one before asking
// for its password.
func Prepare(a Account) (Account, error) {
	a.normalize()
	if a.ID == "" {
		a.ID = idFromEmail(a.Email)
	}
	return a, a.Validate()
}

// normalize trims fields, lowercases the email and the groups, and drops
// duplicate and empty groups.
func (a *Account) normalize() {
	a.ID = strings.TrimSpace(a.ID)
	a.Email = normalizeEmail(a.Email)
	a.Name = strings.TrimSpace(a.Name)
	a.Role = strings.ToLower(strings.TrimSpace(a.Role))
	seen := map[string]bool{}
	groups := a.Groups[:0:0]
	for _, g := range a.Groups {
		g = strings.ToLower(strings.TrimSpace(g))
		if g != "" && !seen[g] {
			seen[g] = true
			groups = append(groups, g)
		}
	}
	a.Groups = groups
}

// normalizeEmail is the form emails are unique in: trimmed and lowercased
// whole (mailbox local parts are case-insensitive in practice, and two
// accounts for Ana@ and ana@ would only confuse).
func normalizeEmail(e string) string { return strings.ToLower(strings.TrimSpace(e)) }

// checkEmail accepts a bare address (local@domain, no display name).
func checkEmail(e string) error {
	addr, err := mail.ParseAddress(e)
	if err != nil || addr.Address != e || addr.Name != "" || len(e) > 254 || !strings.Contains(e[strings.LastIndexByte(e, '@')+1:], ".") && !strings.HasSuffix(e, "@localhost") {
		return fmt.Errorf("%w: email %q: want an address such as ana@shop.example", ErrInvalid, e)
	}
	return nil
}

func isControl(r rune) bool { return r < 0x20 || r == 0x7f }

// idFromEmail derives an id from an email's local part: lowercase, runs
// of other characters turned into one '-', at most 48 characters (room
// for a "-2" suffix), "staff" when nothing is left.
func idFromEmail(email string) string {
	local := email
	if i := strings.LastIndexByte(email, '@'); i >= 0 {
		local = email[:i]
	}
	var b strings.Builder
	dash := false
	for _, r := range strings.ToLower(local) {
		switch {
		case r >= 'a' && r <= 'z', r >= '0' && r <= '9', r == '.', r == '_':
			b.WriteRune(r)
			dash = false
		case !dash && b.Len() > 0:
			b.WriteByte('-')
			dash = true
		}
		if b.Len() >= 48 {
			break
		}
	}
	id := strings.TrimRight(b.String(), "-._")
	id = strings.TrimLeft(id, "._")
	if id == "" {
		return "staff"
	}
	return id
}
