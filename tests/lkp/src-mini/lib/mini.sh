# Sourced by the programs through $LKP_SRC, as lkp's programs source lib/*.sh.
mini_say()
{
	echo "mvhello: $*"
}
