package auth

import (
	"errors"
	"fmt"
	"unicode"
	"unicode/utf8"
)

// MaxUsernameLen bounds a username: longer ones are refused before a
// module sees them.
const MaxUsernameLen = 256

// CheckUsername refuses a username that a module could not pass on
// safely: one with control characters (a newline would forge a line of
// a log or of an exec command's input), invalid UTF-8, or too long. The
// core checks every username before any module sees it; a module that
// hands the name on (exec) checks it too.
func CheckUsername(name string) error {
	if len(name) > MaxUsernameLen {
		return fmt.Errorf("username of %d bytes, the limit is %d", len(name), MaxUsernameLen)
	}
	if !utf8.ValidString(name) {
		return errors.New("username is not valid UTF-8")
	}
	for _, r := range name {
		if unicode.IsControl(r) || r == utf8.RuneError {
			return fmt.Errorf("username contains the control character %U", r)
		}
	}
	return nil
}
