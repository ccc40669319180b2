// Command manager is the ucdeploy controller alone: the binary of the container image, of the lab
// and of the benchmark. It runs what `ucdeploy manager` runs, without the offline
// commands (plan, verify, status, export): those link the CRD's validators and CEL to check a
// file as the API server would, which the controller never needs and which would add about 10 MB
// of resident memory to every manager (docs/performance.md, "Round 3").
package main

import (
	"fmt"
	"os"

	"github.com/ucdeploy/ucdeploy/internal/manager"
)

func main() {
	if err := manager.Run(os.Args[1:]); err != nil {
		fmt.Fprintln(os.Stderr, "ucdeploy:", err)
		os.Exit(1)
	}
}
