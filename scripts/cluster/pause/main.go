// Command pause holds a pod's namespaces for as long as the pod lives: the sandbox image of the
// local cluster (scripts/cluster/up.sh), built here because no registry can be pulled from. It
// sleeps until SIGINT or SIGTERM and, as PID 1 of the pod's PID namespace when that is shared,
// reaps the orphans that are handed to it.
package main

import (
	"os"
	"os/signal"
	"syscall"
)

func main() {
	signals := make(chan os.Signal, 8)
	signal.Notify(signals, syscall.SIGINT, syscall.SIGTERM, syscall.SIGCHLD)
	for s := range signals {
		if s != syscall.SIGCHLD {
			os.Exit(0)
		}
		for {
			pid, err := syscall.Wait4(-1, nil, syscall.WNOHANG, nil)
			if pid <= 0 || err != nil {
				break
			}
		}
	}
}
