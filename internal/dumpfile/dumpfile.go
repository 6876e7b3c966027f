// Package dumpfile is the file format of idpool export and idpool import: a deployment's
// whole state as JSON lines, so that it can move between storage backends (SQLite to
// PostgreSQL and back) or be kept as a backup.
//
// The first line is a header naming the format and its version; every following line is
// one storage.Record in the order storage.Dumper.Export produces. Lines stream: neither
// side holds more than one record in memory, whatever the number of identities.
//
// The file holds secrets: the issuer's signing keys and the key that seals session tokens
// (encrypted only when a key encryption key is configured). Write creates nothing itself;
// the command that opens the file gives it mode 0600.
package dumpfile

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"iter"

	"github.com/idpool/idpool/internal/storage"
)

// Format and Version identify the file; Read refuses any other.
const (
	Format  = "idpool-export"
	Version = 1
)

// Header is the first line of a file.
type Header struct {
	Format  string `json:"format"`
	Version int    `json:"version"`
	// Server is the idpool version that wrote the file, for the operator's information.
	Server string `json:"server,omitempty"`
}

// Counts tells how many records of each kind went through, by Record.Kind.
type Counts map[string]int

// Write exports src to w and returns how many records of each kind it wrote.
func Write(ctx context.Context, w io.Writer, src storage.Dumper, serverVersion string) (Counts, error) {
	bw := bufio.NewWriterSize(w, 64<<10)
	enc := json.NewEncoder(bw)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(Header{Format: Format, Version: Version, Server: serverVersion}); err != nil {
		return nil, err
	}
	counts := Counts{}
	err := src.Export(ctx, func(r storage.Record) error {
		counts[r.Kind()]++
		return enc.Encode(r)
	})
	if err != nil {
		return counts, fmt.Errorf("export: %w", err)
	}
	if err := bw.Flush(); err != nil {
		return counts, err
	}
	return counts, nil
}

// Read imports the file r into dst, which must be empty, in one transaction, and returns
// how many records of each kind it stored.
func Read(ctx context.Context, r io.Reader, dst storage.Dumper) (Counts, error) {
	dec := json.NewDecoder(bufio.NewReaderSize(r, 64<<10))
	dec.DisallowUnknownFields()
	var h Header
	if err := dec.Decode(&h); err != nil {
		return nil, fmt.Errorf("reading the header: %w", err)
	}
	if h.Format != Format {
		return nil, fmt.Errorf("not an idpool export (format %q)", h.Format)
	}
	if h.Version != Version {
		return nil, fmt.Errorf("export version %d is not supported (this idpool reads version %d)", h.Version, Version)
	}
	counts := Counts{}
	err := dst.Import(ctx, records(dec, counts))
	if err != nil {
		return nil, err
	}
	return counts, nil
}

// line is one line after the header. Files written before session tokens became
// self-contained may hold sessions, whose credentials stopped working with the upgrade:
// Session lets Read name them rather than report an unknown field.
type line struct {
	storage.Record
	Session json.RawMessage `json:"session"`
}

// errSession is Read's error for a session line.
var errSession = errors.New("a session: sessions are no longer exported or imported, as session tokens are self-contained now " +
	"and the credentials of older ones stopped working with the upgrade; remove the session lines")

// records yields the records that follow the header, stopping at the end of the input
// or at the first line that is not a record.
func records(dec *json.Decoder, counts Counts) iter.Seq2[storage.Record, error] {
	return func(yield func(storage.Record, error) bool) {
		for n := 2; ; n++ {
			var l line
			err := dec.Decode(&l)
			if errors.Is(err, io.EOF) {
				return
			}
			switch {
			case err != nil:
			case l.Session != nil:
				err = errSession
			case l.Kind() == "":
				err = errors.New("not exactly one kind of record")
			}
			if err != nil {
				yield(storage.Record{}, fmt.Errorf("line %d: %w", n, err))
				return
			}
			counts[l.Kind()]++
			if !yield(l.Record, nil) {
				return
			}
		}
	}
}
