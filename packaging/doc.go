// Package packaging holds the Debian packaging of xroam (deb/, built by
// `make deb`) and the test that installs the built package on the machine.
package packaging
