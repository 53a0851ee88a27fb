// Package netpipe joins two connections: what one side sends, the other
// receives, until either side ends. The gateway's TCP entry points and
// mage up's loopback forwards are both this.
package netpipe

import (
	"io"
	"net"
)

// Join copies a to b and b to a until either direction ends, then closes
// both.
func Join(a, b net.Conn) {
	defer a.Close()
	defer b.Close()
	done := make(chan struct{}, 2)
	go func() { _, _ = io.Copy(a, b); done <- struct{}{} }()
	go func() { _, _ = io.Copy(b, a); done <- struct{}{} }()
	<-done
}

// Serve accepts connections on l until it is closed and joins each to a
// connection from dial; when dial fails, the client's connection is
// closed (as if nothing listened) and fail, if given, hears why.
func Serve(l net.Listener, dial func() (net.Conn, error), fail func(error)) {
	for {
		c, err := l.Accept()
		if err != nil {
			return
		}
		go func() {
			up, err := dial()
			if err != nil {
				c.Close()
				if fail != nil {
					fail(err)
				}
				return
			}
			Join(c, up)
		}()
	}
}
