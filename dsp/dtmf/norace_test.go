//go:build !race

package dtmf

const raceBuild = false
