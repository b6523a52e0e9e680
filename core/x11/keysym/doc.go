// Package keysym maps X keysyms to their names and back: keysymdef.h's
// names for the Latin-1, keyboard (0xfexx) and miscellany (0xffxx)
// sections, "U<hex>" for Unicode keysyms. The table is generated from
// Debian's /usr/include/X11/keysymdef.h (package x11proto-dev) by gen.go
// (go generate); the generated table.go is committed, so that building
// needs no header.
package keysym
