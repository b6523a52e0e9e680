package keysym

import (
	"fmt"
	"unicode/utf8"
)

//go:generate go run gen.go -o table.go /usr/include/X11/keysymdef.h

// Name returns the X name of a keysym: keysymdef.h's for the common
// ones, "U<hex>" for Unicode keysyms, "" for 0 or an unknown one.
func Name(ks uint32) string {
	if ks == 0 {
		return ""
	}
	if n := tableName(ks); n != "" {
		return n
	}
	if ks&0xff000000 == 0x01000000 {
		return fmt.Sprintf("U%04X", ks&0xffffff)
	}
	return ""
}

// Text is the text a keysym types ("" for one that types none).
func Text(ks uint32) string {
	switch {
	case ks >= 0x20 && ks <= 0xff && ks != 0x7f:
		return string(rune(ks))
	case ks&0xff000000 == 0x01000000:
		return string(rune(ks & 0xffffff))
	}
	switch ks {
	case 0xff0d, 0xff8d:
		return "\r"
	case 0xff09:
		return "\t"
	case 0xff08:
		return "\b"
	case 0xff1b:
		return "\x1b"
	}
	return ""
}

// FromName returns the keysym of an X keysym name: a single
// character ("a", "é"), "U<hex>", "0x<hex>" or one of the common
// function-key names ("Return", "BackSpace", "Shift_L"...).
func FromName(name string) (uint32, bool) {
	if name == "" {
		return 0, false
	}
	if r, size := utf8.DecodeRuneInString(name); size == len(name) && r != utf8.RuneError {
		if r >= 0x20 && r <= 0xff {
			return uint32(r), true
		}
		return 0x01000000 | uint32(r), true
	}
	var v uint32
	if n, err := fmt.Sscanf(name, "U%x", &v); err == nil && n == 1 && len(name) > 1 {
		if v >= 0x20 && v <= 0xff {
			return v, true
		}
		return 0x01000000 | v, true
	}
	if n, err := fmt.Sscanf(name, "0x%x", &v); err == nil && n == 1 {
		return v, true
	}
	if ks, ok := namedKeysym(name); ok {
		return ks, true
	}
	// Latin-1 names ("minus", "greater", "eacute"), which the HTML5
	// client sends with browser key codes rather than keysyms.
	for ks := uint32(0x20); ks <= 0xff; ks++ {
		if tableName(ks) == name {
			return ks, true
		}
	}
	return 0, false
}

// namedKeysym maps the names of keysymdef.h's keyboard keys that xpra
// clients send as keynames.
func namedKeysym(name string) (uint32, bool) {
	switch name {
	case "BackSpace":
		return 0xff08, true
	case "Tab":
		return 0xff09, true
	case "ISO_Left_Tab":
		return 0xfe20, true
	case "Return":
		return 0xff0d, true
	case "KP_Enter":
		return 0xff8d, true
	case "Escape":
		return 0xff1b, true
	case "Delete":
		return 0xffff, true
	case "Insert":
		return 0xff63, true
	case "Home":
		return 0xff50, true
	case "Left":
		return 0xff51, true
	case "Up":
		return 0xff52, true
	case "Right":
		return 0xff53, true
	case "Down":
		return 0xff54, true
	case "Page_Up", "Prior":
		return 0xff55, true
	case "Page_Down", "Next":
		return 0xff56, true
	case "End":
		return 0xff57, true
	case "space":
		return 0x20, true
	case "Shift_L":
		return 0xffe1, true
	case "Shift_R":
		return 0xffe2, true
	case "Control_L":
		return 0xffe3, true
	case "Control_R":
		return 0xffe4, true
	case "Caps_Lock":
		return 0xffe5, true
	case "Meta_L":
		return 0xffe7, true
	case "Meta_R":
		return 0xffe8, true
	case "Alt_L":
		return 0xffe9, true
	case "Alt_R":
		return 0xffea, true
	case "Super_L":
		return 0xffeb, true
	case "Super_R":
		return 0xffec, true
	case "ISO_Level3_Shift":
		return 0xfe03, true
	case "Num_Lock":
		return 0xff7f, true
	case "Menu":
		return 0xff67, true
	}
	var f int
	if n, err := fmt.Sscanf(name, "F%d", &f); err == nil && n == 1 && f >= 1 && f <= 35 && name == fmt.Sprintf("F%d", f) {
		return 0xffbe + uint32(f-1), true
	}
	return 0, false
}
