package main

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"os"
	"os/signal"
	"slices"
	"strings"
	"syscall"

	"github.com/idpool/idpool/internal/config"
	"github.com/idpool/idpool/internal/dumpfile"
	"github.com/idpool/idpool/internal/server"
)

// exportData writes the whole deployment that serve's storage flags name to --file (or
// stdout), for idpool import to load into another backend.
func exportData(args []string, getenv func(string) string, stdout, stderr io.Writer) int {
	path, cfg, log, code, ok := parseDumpFlags("export", args, getenv, stderr)
	if !ok {
		return code
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	store, err := cfg.OpenStore(ctx)
	if err != nil {
		log.Error("opening storage", "err", err)
		return 1
	}
	defer store.Close()

	out, finish := stdout, func() error { return nil }
	if path != "" && path != "-" {
		// O_EXCL: an export never overwrites an earlier one. 0600: it holds the signing
		// keys and the key that seals session tokens.
		f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
		if err != nil {
			log.Error("creating the export file", "err", err)
			return 1
		}
		out, finish = f, func() error {
			if err := f.Sync(); err != nil {
				f.Close()
				return err
			}
			return f.Close()
		}
	}
	counts, err := dumpfile.Write(ctx, out, store, server.Version)
	if err == nil {
		err = finish()
	}
	if err != nil {
		log.Error("exporting", "err", err)
		if path != "" && path != "-" {
			_ = os.Remove(path) // a partial export must not pass for a whole one
		}
		return 1
	}
	log.Info("exported", countAttrs(counts)...)
	return 0
}

// importData loads a file written by idpool export into the empty deployment that serve's
// storage flags name, in one transaction.
func importData(args []string, getenv func(string) string, stdin io.Reader, stderr io.Writer) int {
	path, cfg, log, code, ok := parseDumpFlags("import", args, getenv, stderr)
	if !ok {
		return code
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	in := stdin
	if path != "" && path != "-" {
		f, err := os.Open(path)
		if err != nil {
			log.Error("opening the export file", "err", err)
			return 1
		}
		defer f.Close()
		in = f
	}
	store, err := cfg.OpenStore(ctx)
	if err != nil {
		log.Error("opening storage", "err", err)
		return 1
	}
	defer store.Close()
	counts, err := dumpfile.Read(ctx, in, store)
	if err != nil {
		log.Error("importing (nothing was stored)", "err", err)
		return 1
	}
	log.Info("imported", countAttrs(counts)...)
	return 0
}

// parseDumpFlags reads export's and import's flags: --file, and serve's flags for the
// rest. With ok false the command is over and code is its exit code.
func parseDumpFlags(command string, args []string, getenv func(string) string, stderr io.Writer) (path string, cfg *config.Config, log *slog.Logger, code int, ok bool) {
	path, args, err := cutFileFlag(args)
	if err != nil {
		fmt.Fprintf(stderr, "idpool %s: %v\n", command, err)
		return "", nil, nil, 2, false
	}
	cfg, log, code, ok = parse(args, getenv, stderr)
	return path, cfg, log, code, ok
}

// cutFileFlag removes --file (or -file) and its value from args, which otherwise are
// serve's flags.
func cutFileFlag(args []string) (path string, rest []string, err error) {
	for i := 0; i < len(args); i++ {
		a := args[i]
		name, value, hasValue := strings.Cut(strings.TrimLeft(a, "-"), "=")
		if !strings.HasPrefix(a, "-") || name != "file" {
			rest = append(rest, a)
			continue
		}
		if !hasValue {
			if i+1 >= len(args) {
				return "", nil, fmt.Errorf("--file needs a value")
			}
			i++
			value = args[i]
		}
		path = value
	}
	return path, rest, nil
}

func countAttrs(c dumpfile.Counts) []any {
	kinds := make([]string, 0, len(c))
	for k := range c {
		kinds = append(kinds, k)
	}
	slices.Sort(kinds)
	var attrs []any
	for _, k := range kinds {
		attrs = append(attrs, k, c[k])
	}
	return attrs
}
