// Verify tests a storage configuration as the product's Test button does,
// prints the report, and exits with status 1 if a check failed.
//
//	go run ./examples/verify -config storage.json
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
	cfg, err := recstore.LoadConfig(*configPath)
	if err != nil {
		log.Fatal(err)
	}
	if !verify(context.Background(), cfg, os.Stdout) {
		os.Exit(1)
	}
}

// verify prints the report and whether every check passed.
func verify(ctx context.Context, cfg recstore.Config, out io.Writer) bool {
	report := recstore.Verify(ctx, cfg)
	fmt.Fprint(out, report) // a table, then each failure's cause and fix
	return report.OK()
}
