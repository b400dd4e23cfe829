// Package callerid sends and receives caller ID on analog lines: the
// calling number, name, date and time, the reasons for their absence, and
// visual message-waiting indication.
//
// # Messages
//
// [Message] is one caller-ID message and encodes to and decodes from the
// bytes on the wire (GR-30-CORE and ETSI EN 300 659-3): a message type, a
// length, the body and a checksum, the two's complement of the modulo-256
// sum of the other bytes. The single data message format (SDMF, types 0x04
// and 0x06) carries date, time and number, or a message-waiting flag; the
// multiple data message format (MDMF, types 0x80 and 0x82) carries typed
// parameters. [Message.DTMF] and [DecodeDTMF] give the DTMF form of
// EN 300 659-1 Annex B: A<number>C or D<number>C, B00C for "unavailable" and
// B10C for "private".
//
// # Sending
//
// A [Generator] renders a whole [Transmission] into frames of line audio:
// the FSK signal (Bell 202, 1200/2200 Hz, used in North America and China,
// or V.23, 1300/2100 Hz, used in Europe, both at 1200 baud) with its
// channel seizure (alternating bits) and mark preamble, or the DTMF digits,
// and around them the alerting variants: nothing for a transmission between
// the first and second ring; a line reversal and the dual-tone alerting
// signal (DT-AS, 2130+2750 Hz) or a ring-pulse alerting signal (RP-AS)
// before the first ring (ETSI); or, on call waiting, the CPE alerting signal
// (CAS, 2130+2750 Hz) after which the generator waits for the telephone's
// DTMF acknowledgement ('D' or 'A') before it sends the FSK. Line
// signalling that is not audio (reversal, ring pulse) comes back from
// Generate as a [Cue] for the line to carry out. On hook the line keeps its
// SLIC in on-hook transmission (hal.FeedOnHookTx, or FeedOnHookTxRev
// after a reversal) while the generator is active, so that the audio
// reaches the telephone; on call waiting it mutes the far end meanwhile.
//
// # Receiving
//
// A [Receiver] decodes the same transmissions from line audio (FXO ports):
// one FM discriminator centred on 1700 Hz reads both Bell 202 and V.23, a
// UART framer resynchronises on every start bit and lets every transition
// pull its bit clock into place (a baud rate 2 % off is read as well as a
// nominal one), and a message is handed over once its length and checksum
// hold, after a mark preamble of at least 30 bits whose tone is steady and
// holds most of the signal's power (speech and DTMF do not pass). It also reads DTMF caller ID and
// reports the alerting signals, so that an FXO line can answer a CAS with
// its acknowledgement. Broken transmissions come back as events carrying
// errors that say what went wrong (checksum, framing, carrier lost, gap in
// the data, unfinished DTMF message).
//
// # Goroutines and allocation
//
// Message, its encoders and decoders are plain values and functions, safe
// for concurrent use; decoding allocates the strings it returns. A
// Generator or Receiver belongs to one goroutine (the media engine's); after
// creation neither allocates, and both work on caller-owned frames of any
// length (normally 80 samples, 10 ms at 8 kHz).
package callerid
