// Package config turns flags, IDPOOL_* environment variables and the credentials file into
// a validated Config. It is the only package that names concrete storage backends.
package config
