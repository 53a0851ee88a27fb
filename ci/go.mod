module dagger/tempo-stack

go 1.26.8

require (
	dagger.io/dagger v0.19.10
	github.com/tempo-stack/tempo-stack v0.0.0
)

replace github.com/tempo-stack/tempo-stack => ../
