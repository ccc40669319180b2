// Command etcd is the etcd server built from the pinned go.etcd.io/etcd/server/v3
// module, for use as the envtest etcd binary.
//
// The upstream etcd main package lives in the go.etcd.io/etcd/v3 root module,
// which cannot be consumed as a dependency, so this wrapper calls the same
// entry point (etcdmain.Main) that upstream's main.go does.
package main

import (
	"os"

	"go.etcd.io/etcd/server/v3/etcdmain"
)

func main() {
	etcdmain.Main(os.Args)
}
