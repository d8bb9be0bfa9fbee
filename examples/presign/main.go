// Presign prints a URL that plays a recording with a plain HTTP GET, for a
// browser or a media player. The URL carries the temporary session's
// token, so it never outlives the session: the expiry printed is the real
// one.
//
//	go run ./examples/presign -config storage.json -ttl 10m calls/2026/11/28/c-42.webm
package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"log"
	"os"
	"time"

	"github.com/auvious/recstore"
)

func main() {
	configPath := flag.String("config", "storage.json", "JSON config with the product's keys")
	ttl := flag.Duration("ttl", 15*time.Minute, "how long the URL should work")
	flag.Parse()
	if flag.NArg() != 1 {
		log.Fatal("usage: presign -config FILE [-ttl 15m] KEY")
	}
	cfg, err := recstore.LoadConfig(*configPath)
	if err != nil {
		log.Fatal(err)
	}
	if err := presign(context.Background(), cfg, flag.Arg(0), *ttl, os.Stdout); err != nil {
		log.Fatal(err)
	}
}

// presign prints the playback URL of key and when it stops working.
func presign(ctx context.Context, cfg recstore.Config, key string, ttl time.Duration, out io.Writer) error {
	store, err := recstore.Open(ctx, cfg)
	if err != nil {
		return err
	}
	defer store.Close()
	if _, err := store.Stat(ctx, key); err != nil {
		return err // errors.Is(err, recstore.ErrKeyNotFound) for a missing recording
	}
	url, expires, err := store.PresignGet(ctx, key, ttl)
	if err != nil {
		return err
	}
	fmt.Fprintf(out, "%s\nvalid until %s\n", url, expires.UTC().Format(time.RFC3339))
	return nil
}
