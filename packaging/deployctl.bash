# bash completion for deployctl                              -*- shell-script -*-
#
# Commands, their options and option values. Project names come from the
# mount (--mount DIR on the line, else $DEPLOYFS_MOUNT) when there is one.
# Needs only bash; bash-completion loads it from its completions directory.

_deployctl_projects()
{
	local mount=${DEPLOYFS_MOUNT:-} i
	for ((i = 1; i < ${#COMP_WORDS[@]} - 1; i++)); do
		[[ ${COMP_WORDS[i]} == --mount ]] && mount=${COMP_WORDS[i + 1]}
	done
	[[ -n $mount && -d $mount/projects ]] || return 0
	compgen -W "$(command ls -- "$mount/projects" 2>/dev/null)" -- "$1"
}

_deployctl()
{
	local cur=${COMP_WORDS[COMP_CWORD]} prev=
	local commands="list show payload drop-payload push audit rollback pin
		unpin retention gc verify project"
	local common="--store --json --help"
	local cmd= i nargs=0 opts
	((COMP_CWORD > 0)) && prev=${COMP_WORDS[COMP_CWORD - 1]}
	COMPREPLY=()

	# The command is the first word that is neither an option nor the
	# value of --store; count the operands after it.
	for ((i = 1; i < COMP_CWORD; i++)); do
		case ${COMP_WORDS[i]} in
		--store | --mount | --project | --status | --since | --until | \
			--limit | --offset | -o | --output | --keep-success | \
			--keep-days | --max-bytes)
			((i++)) ;;
		-*) ;;
		*)
			if [[ -z $cmd ]]; then
				cmd=${COMP_WORDS[i]}
			else
				((nargs++))
			fi
			;;
		esac
	done

	case $prev in
	--store | --mount)
		compopt -o filenames 2>/dev/null
		COMPREPLY=($(compgen -d -- "$cur"))
		return 0
		;;
	-o | --output)
		compopt -o filenames 2>/dev/null
		COMPREPLY=($(compgen -f -- "$cur"))
		return 0
		;;
	--status)
		COMPREPLY=($(compgen -W "pending success failed" -- "$cur"))
		return 0
		;;
	--project)
		COMPREPLY=($(_deployctl_projects "$cur"))
		return 0
		;;
	--since | --until | --limit | --offset | --keep-success | --keep-days | \
		--max-bytes)
		return 0
		;;
	esac

	if [[ -z $cmd ]]; then
		if [[ $cur == -* ]]; then
			COMPREPLY=($(compgen -W "--store --json --help --version" -- "$cur"))
		else
			COMPREPLY=($(compgen -W "$commands" -- "$cur"))
		fi
		return 0
	fi

	case $cmd in
	list) opts="--project --status --since --until --limit --offset" ;;
	payload) opts="--output -o" ;;
	push | rollback) opts="--mount" ;;
	audit) opts="--since --project --follow" ;;
	retention) opts="--keep-success --keep-days --max-bytes --clear" ;;
	gc) opts="--dry-run --project" ;;
	verify) opts="--project" ;;
	project) opts="--force" ;;
	show | drop-payload | pin | unpin) opts= ;;
	*) return 0 ;;
	esac
	if [[ $cur == -* ]]; then
		COMPREPLY=($(compgen -W "$opts $common" -- "$cur"))
		return 0
	fi
	case $cmd:$nargs in
	push:0 | rollback:0 | retention:0)
		COMPREPLY=($(_deployctl_projects "$cur"))
		;;
	project:0)
		COMPREPLY=($(compgen -W "list rm" -- "$cur"))
		;;
	project:1)
		COMPREPLY=($(_deployctl_projects "$cur"))
		;;
	push:1)
		compopt -o filenames 2>/dev/null
		COMPREPLY=($(compgen -f -- "$cur"))
		;;
	esac
	return 0
}
complete -F _deployctl deployctl
