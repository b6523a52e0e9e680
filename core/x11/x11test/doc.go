// Package x11test holds what tests need of X and production code does
// not: probes that read what a display shows (windows, properties,
// pixels, cursors, bells, selection owners), helpers that start Xvfb, an
// Xorg dummy server and X clients for a test, and the tests' Xvfb command
// line. Only _test.go files import it (arch_test.go checks that).
//
// It imports core/x11 (the base) and nothing else of xroam, so that the
// tests of core/x11/wm, core/x11/xclient and core/x11/selection can use
// it; the base package's own tests that need it are external tests
// (package x11_test).
package x11test
