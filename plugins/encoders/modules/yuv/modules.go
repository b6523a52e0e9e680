package yuv

import (
	"fmt"
	"slices"
	"strings"
)

// Func is a BGRX to I420 converter with BGRXToI420's arguments.
type Func func(src []byte, srcStride, w, h int, y []byte, yStride int, u, v []byte, uvStride int)

// Modules are the converters built into this binary, fastest first: what
// --csc-modules chooses between.
func Modules() []string {
	if Backend == "libyuv" {
		return []string{"libyuv", "go"}
	}
	return []string{"go"}
}

// Pick returns the first converter of names that is built in ("all" is
// the fastest one), and its name. An empty list is "all".
func Pick(names []string) (Func, string, error) {
	if len(names) == 0 {
		names = []string{"all"}
	}
	for _, n := range names {
		switch {
		case n == "all" || (n == "libyuv" && Backend == "libyuv"):
			return BGRXToI420, Backend, nil
		case n == "go":
			return bgrxToI420Go, "go", nil
		}
	}
	if slices.Contains(names, "none") {
		return nil, "", fmt.Errorf("no colourspace converter is allowed (none), and the video encoders need one")
	}
	return nil, "", fmt.Errorf("none of the colourspace converters %s is built in (this binary has %s)",
		strings.Join(names, ", "), strings.Join(Modules(), ", "))
}
