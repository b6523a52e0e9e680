// Package tlstest makes a throwaway certificate authority and a server
// certificate signed by it, for tests that need real TLS on loopback.
package tlstest
