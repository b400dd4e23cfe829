package wire_test

import (
	"bytes"
	"fmt"
	"time"

	"github.com/openiad/openiad/boards/sim/wire"
)

// A phone's side of the start of a session, over any byte stream.
func Example() {
	var stream bytes.Buffer
	w := wire.NewWriter(&stream)
	w.Write(&wire.Msg{Type: wire.Hello, Version: wire.Version, Port: 1, Name: "bench phone"})
	w.Write(&wire.Msg{Type: wire.Hook, OffHook: true})
	w.Write(&wire.Msg{Type: wire.Flash, Dur: 300 * time.Millisecond})

	r := wire.NewReader(&stream)
	var m wire.Msg
	for r.Read(&m) == nil {
		fmt.Println(m.String())
	}
	// Output:
	// hello v1 port 1 "bench phone"
	// hook off-hook
	// flash 300ms
}

// Encoding into a reused buffer allocates nothing: the way to send an
// Audio frame every 10 ms.
func ExampleMsg_Append() {
	buf := make([]byte, 0, wire.MaxFrame)
	m := wire.Msg{Type: wire.Audio}
	m.Audio[0] = 1000
	b, err := m.Append(buf[:0])
	fmt.Println(len(b), err)

	var got wire.Msg
	n, err := got.Unmarshal(b)
	fmt.Println(n, err, got.Type, got.Audio[0])
	// Output:
	// 163 <nil>
	// 163 <nil> audio 1000
}
