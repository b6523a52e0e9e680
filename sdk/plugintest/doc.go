// Package plugintest lets a plugin author test a plugin the way the host
// will use it, without building a binary or running the host: Auth and
// Encoder serve the plugin over go-plugin's in-memory gRPC connection, so
// the configuration travels as JSON through the schema and every request
// and response through the protobuf conversion, exactly as in production.
// AuthConformance is the suite every auth plugin should pass.
package plugintest
