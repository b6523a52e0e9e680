// Package x11test holds helpers for tests that need an X server other
// than the default Xvfb. It does not import core/x11, so that package's
// own tests can use it too.
package x11test
