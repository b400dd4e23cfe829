//go:build !race

package g168

const raceBuild = false
