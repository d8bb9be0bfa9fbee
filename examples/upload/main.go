// Upload streams a recording from standard input into the customer's
// bucket, as the recorder service does while a call is in progress: the
// length is unknown and the stream cannot seek, so recstore sends it in
// parts with bounded memory.
//
//	go run ./examples/upload -config storage.json calls/2026/11/28/c-42.webm < call.webm
package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"log"
	"os"

	"github.com/auvious/recstore"
)

func main() {
	configPath := flag.String("config", "storage.json", "JSON config with the product's keys")
	flag.Parse()
	if flag.NArg() != 1 {
		log.Fatal("usage: upload -config FILE KEY < recording")
	}
	cfg, err := recstore.LoadConfig(*configPath)
	if err != nil {
		log.Fatal(err)
	}
	if err := upload(context.Background(), cfg, flag.Arg(0), os.Stdin, os.Stdout); err != nil {
		cause, fix, _ := recstore.Diagnose(err)
		log.Fatalf("%v\ncause: %s\nfix: %s", err, cause, fix)
	}
}

// upload stores everything recording yields under key and says what landed.
func upload(ctx context.Context, cfg recstore.Config, key string, recording io.Reader, out io.Writer) error {
	store, err := recstore.Open(ctx, cfg) // validates cfg; no request yet
	if err != nil {
		return err
	}
	defer store.Close()
	info, err := store.Upload(ctx, key, recording, recstore.WithContentType("video/webm"),
		recstore.WithMetadata(map[string]string{"source": "examples/upload"}))
	if err != nil {
		return err // nothing was stored, and no multipart parts remain
	}
	fmt.Fprintf(out, "stored %s: %d bytes, checksum %s\n", info.Key, info.Size, info.Checksum)
	return nil
}
