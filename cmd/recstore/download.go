package main

import (
	"context"
	"fmt"
	"io"
	"os"
	"path"
	"path/filepath"
)

func downloadCommand() command {
	var quiet bool
	return command{
		name: "download", args: "KEY [FILE|-]",
		summary: "download a recording to a file or standard output",
		details: "Writes KEY to FILE (default: the key's last path element, in the current directory), or to\n" +
			"standard output for -. A file is written under a temporary name and renamed when complete and\n" +
			"verified, so an interrupted download never leaves a partial file under FILE. The file is created\n" +
			"readable by its owner only (mode 0600): recordings are private.",
		examples: []string{"download --config storage.json calls/c-42.webm", "download --config storage.json calls/c-42.webm - | ffprobe -"},
		flags: func(fs *flagSet) {
			fs.configFlags()
			fs.BoolVar(&quiet, "quiet", false, "no progress bar")
		},
		run: func(ctx context.Context, c *cli, fs *flagSet) error {
			store, err := openStore(ctx, fs, 1, 2)
			if err != nil {
				return err
			}
			defer store.Close()
			key, dst := fs.arg(0), fs.arg(1)
			if dst == "" {
				dst = path.Base(key)
			}
			body, info, err := store.Download(ctx, key)
			if err != nil {
				return err
			}
			defer body.Close()
			bar := newProgress(c.stderr, "download", info.Size, quiet || dst == "-")
			if dst == "-" {
				_, err = io.Copy(c.stdout, bar.reader(body))
			} else {
				err = writeFileAtomically(dst, bar.reader(body))
			}
			bar.done(err)
			if err != nil {
				return err
			}
			if dst != "-" {
				fmt.Fprintf(c.stdout, "downloaded %s to %s: %d bytes\n", info.Key, dst, info.Size)
			}
			return nil
		},
	}
}

// writeFileAtomically writes r to a temporary file beside dst and renames
// it to dst once complete; on any error the temporary file is removed and
// dst is untouched.
func writeFileAtomically(dst string, r io.Reader) (err error) {
	tmp, err := os.CreateTemp(filepath.Dir(dst), "."+filepath.Base(dst)+".partial-*")
	if err != nil {
		return err
	}
	defer func() {
		if err != nil {
			tmp.Close()
			os.Remove(tmp.Name())
		}
	}()
	if _, err = io.Copy(tmp, r); err != nil {
		return err
	}
	if err = tmp.Sync(); err != nil {
		return err
	}
	if err = tmp.Close(); err != nil {
		return err
	}
	return os.Rename(tmp.Name(), dst)
}
