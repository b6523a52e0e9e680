package mmap

import (
	"fmt"
	"path/filepath"
	"strings"
)

// ParseOption reads --mmap: yes (or the other spellings of true) to use
// an area, no to refuse one, or an absolute path, which on a client names
// the file to use and on a server replaces the path every client gives
// (xpra's meaning, for a file shared by other means). Empty is no, as
// in xpra; the option's default is yes.
func ParseOption(s string) (on bool, path string, err error) {
	switch strings.ToLower(strings.TrimSpace(s)) {
	case "1", "yes", "true", "on", "y", "t", "auto":
		return true, "", nil
	case "", "0", "no", "false", "off", "n", "f", "none":
		return false, "", nil
	}
	if filepath.IsAbs(s) {
		return true, filepath.Clean(s), nil
	}
	return false, "", fmt.Errorf("--mmap=%s: want yes, no or an absolute path", s)
}
