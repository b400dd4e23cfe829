package dtmf

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"math/rand/v2"
	"testing"
	"time"

	"github.com/openiad/openiad/dsp"
	"github.com/openiad/openiad/testrig/jbtrace"
	"github.com/openiad/openiad/testrig/peers"
)

var long = flag.Bool("long", false, "talk-off on 30 minutes of espeak-ng speech and 10 of music-like signals (default: 4 and 2)")

// talkTexts are sentences written for this test, many of them full of
// numbers (a voice reading out digits is the classic talk-off risk),
// in the languages of the voices below.
var talkTexts = map[string][]string{
	"en": {
		"Your account number is four four seven, nine one two, zero zero eight six, and the amount due is ninety-nine dollars.",
		"Press one for sales, two for support, three for billing, or stay on the line to speak to an operator.",
		"The meeting starts at half past nine in conference room B on the eleventh floor, bring the quarterly figures.",
		"Call me back on oh seven seven zero, nine double eight, three two one four, after five in the afternoon.",
		"We are sorry, all our agents are busy right now; your call is important to us, please keep holding.",
		"The delivery truck left the depot at six fifteen and should reach the customer before lunch time.",
	},
	"de": {
		"Ihre Kundennummer lautet acht sieben sechs, fünf vier drei, zwei eins null; bitte halten Sie sie bereit.",
		"Drücken Sie die Eins für den Verkauf, die Zwei für den Kundendienst oder die Raute für das Hauptmenü.",
		"Der Techniker kommt am Dienstag zwischen acht und zwölf Uhr, um den Anschluss zu überprüfen.",
		"Die Sitzung wurde auf Donnerstag verschoben, das Protokoll schicke ich Ihnen heute Abend.",
	},
	"fr": {
		"Votre code client est le trois cinq neuf, deux huit un, quatre sept zéro; notez-le bien.",
		"Tapez étoile pour revenir au menu principal, ou dièse pour confirmer votre choix.",
		"Le train de dix-huit heures quarante-deux partira avec un retard d'environ un quart d'heure.",
	},
	"es": {
		"Su número de pedido es el nueve ocho siete, seis cinco cuatro, tres dos uno; gracias por su paciencia.",
		"Para hablar con un agente marque el cero, para repetir este mensaje marque la almohadilla.",
		"La farmacia de guardia está abierta toda la noche en la calle mayor número veintitrés.",
	},
	"it": {
		"Il suo codice di prenotazione è sette due nove, quattro quattro uno, otto zero tre.",
		"La linea sarà interrotta domani dalle nove alle undici per lavori di manutenzione.",
	},
	"pt": {
		"O número do protocolo é cinco três oito, dois dois sete, um nove zero, anote por favor.",
		"O médico atende às segundas e quintas-feiras, das oito da manhã até o meio-dia.",
	},
	"ru": {
		"Ваш номер заказа семь восемь девять, четыре пять шесть, один два три, спасибо за ожидание.",
		"Оператор ответит вам через несколько минут, пожалуйста, оставайтесь на линии.",
	},
	"cmn": {
		"您的订单号是七八九，四五六，一二三，请记下来，谢谢您的耐心等待。",
		"请按一查询话费，按二办理业务，按零转人工服务，按井号键返回上一级菜单。",
		"明天早上九点在三楼会议室开会，请大家准时参加，并带上上个月的报表。",
	},
	"yue": {
		"你好，我想查询一下我嘅账单，号码係九八七六五四三二。",
	},
	"ja": {
		"お客様の番号は、ゼロ、サン、ナナ、ハチ、イチ、ニ、キュウ、ゴです。",
	},
	"hi": {
		"आपका खाता संख्या चार पाँच छह, सात आठ नौ है, कृपया इसे लिख लें।",
	},
}

// talkVoices: each language in several voices (espeak-ng variants change
// pitch, formants and voice quality; high female voices put their
// harmonics where the DTMF tones are).
var talkVoices = map[string][]string{
	"en":  {"en-us", "en+f3", "en-gb+m3", "en-us+f4", "en+croak", "en-gb-x-rp+f5", "en+m7", "en+whisper"},
	"de":  {"de", "de+f3", "de+m4"},
	"fr":  {"fr", "fr+f4", "fr+m2"},
	"es":  {"es", "es+f2", "es-419+m3"},
	"it":  {"it+f3", "it"},
	"pt":  {"pt-br+f4", "pt"},
	"ru":  {"ru+f2", "ru"},
	"cmn": {"cmn", "cmn+f4", "cmn+m3"},
	"yue": {"yue", "yue+f2"},
	"ja":  {"ja"},
	"hi":  {"hi+f3"},
}

// talkCorpus returns utterances for about minutes of speech: every text
// in every voice of its language, then further rounds pairing texts and
// voices differently and joining two sentences, so that no audio repeats.
func talkCorpus(minutes float64) []jbtrace.Utterance {
	var us []jbtrace.Utterance
	langs := []string{"en", "de", "fr", "es", "it", "pt", "ru", "cmn", "yue", "ja", "hi"}
	for round := 0; ; round++ {
		for _, l := range langs {
			for vi, v := range talkVoices[l] {
				ts := talkTexts[l]
				for ti := range ts {
					t := ts[(ti+vi+round)%len(ts)]
					if round > 0 {
						t += " " + ts[(ti+2*round+1)%len(ts)]
					}
					us = append(us, jbtrace.Utterance{Voice: v, Text: t})
					minutes -= float64(len([]rune(t))) / 900 // about 150 words of 6 characters a minute
					if minutes <= 0 {
						return us
					}
				}
			}
		}
	}
}

// TestTalkOffSpeechAndMusic: not one digit in espeak-ng speech (11
// languages, 30 voices; 4 minutes, 30 with -long as `make test-long`
// runs it, 1.5 under the race detector) at its own level and 10 dB
// louder, nor in music-like chords (2 minutes, 10 with -long).
func TestTalkOffSpeechAndMusic(t *testing.T) {
	speechMin, musicMin := 4.0, 2.0
	switch {
	case *long:
		speechMin, musicMin = 30, 10
	case raceBuild:
		speechMin, musicMin = 1.5, 0.5
	}
	ctx, cancel := context.WithTimeout(t.Context(), 5*time.Minute)
	defer cancel()
	x, err := jbtrace.Speech(ctx, t.TempDir(), talkCorpus(speechMin))
	if errors.Is(err, jbtrace.ErrNoEspeak) {
		peers.Require(t, fmt.Errorf("%w; ./tools/ci/deps.sh installs it", err))
	}
	if err != nil {
		t.Fatal(err)
	}
	got := float64(len(x)) / 8000 / 60
	if got < 0.9*speechMin {
		t.Fatalf("the corpus gave %.1f minutes of speech, want %.0f", got, speechMin)
	}
	rng := rand.New(rand.NewPCG(24, 4))
	music := musicLike(rng, int(musicMin*60*8000))
	for _, c := range []struct {
		name string
		x    []int16
	}{{"speech", x}, {"music", music}} {
		for _, gain := range []float64{1, 3.16} {
			y := make([]int16, len(c.x))
			for i, v := range c.x {
				y[i] = dsp.SatF16(float64(v) * gain)
			}
			evs := detect(y)
			if len(evs) > 0 {
				t.Errorf("%s ×%.2f: %d false events in %.1f minutes, first %+v at %.2f s",
					c.name, gain, len(evs), float64(len(y))/8000/60, evs[0], float64(evs[0].At)/8000)
			}
			t.Logf("%s ×%.2f: %.1f minutes at %.1f dBm0 (RMS over all), %d events", c.name, gain, float64(len(y))/8000/60, rmsDBm0(y), len(evs))
		}
	}
}
