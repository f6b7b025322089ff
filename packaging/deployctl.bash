# bash completion for deployctl                              -*- shell-script -*-
#
# Commands, their options and option values, -o columns of list and audit.
# Project names, and deployment names PROJECT@current and PROJECT@latest,
# come from the mount (--mount DIR on the line, else $DEPLOYFS_MOUNT) when
# there is one. Needs only bash; bash-completion loads it from its
# completions directory.

_deployctl_projects()
{
	local mount=${DEPLOYFS_MOUNT:-} i
	for ((i = 1; i < ${#COMP_WORDS[@]} - 1; i++)); do
		[[ ${COMP_WORDS[i]} == --mount ]] && mount=${COMP_WORDS[i + 1]}
	done
	[[ -n $mount && -d $mount/projects ]] || return 0
	compgen -W "$(command ls -- "$mount/projects" 2>/dev/null)" -- "$1"
}

# Deployment names: PROJECT@current and PROJECT@latest of the mount's
# projects (ids and PROJECT@N are typed). Readline breaks words at '@',
# so what it replaces is the part after the last '@' of the name.
_deployctl_names()
{
	local p m
	for p in $(_deployctl_projects ""); do
		for m in $(compgen -W "$p@current $p@latest" -- "$1"); do
			if [[ $1 == *@* && ${COMP_WORDBREAKS-} == *@* ]]; then
				m=${m#"${1%"${1##*@}"}"}
			fi
			printf '%s\n' "$m"
		done
	done
}

# The columns of -o (as `deployctl list --help` and `audit --help` list
# them), completed after the last comma, with an optional leading +.
_deployctl_columns()
{
	local cols head= cur=$2
	case $1 in
	list) cols="NAME ID PROJECT VERSION STATUS MARKS STARTED AGE SIZE USER
		PACKAGE ERROR ROLLBACK_OF FORMAT HASH NODE COMMAND EXE SSH_CLIENT
		REVISION REF CI_URL NOTE" ;;
	audit) cols="TIME AGE SEQ ACTION NAME ID PROJECT STATUS USER UID PID
		COMMAND" ;;
	status) cols="NODE DELIVERED STATUS AGE LAGS ERROR" ;;
	esac
	if [[ $cur == *,* ]]; then
		head=${cur%,*},
		cur=${cur##*,}
	elif [[ $cur == +* ]]; then
		head=+
		cur=${cur#+}
	fi
	compgen -P "$head" -W "$cols" -- "${cur^^}"
}

_deployctl()
{
	local cur prev= cword words
	local commands="list show payload drop-payload push audit rollback pin
		unpin retention gc verify project init import status wait"
	local common="--store --catalog --mount --json --help"
	local cmd= sub= i nargs=0 opts
	# Names (web@42) are one word, though readline breaks at '@'.
	if declare -F _get_comp_words_by_ref >/dev/null; then
		_get_comp_words_by_ref -n @ cur words cword
	else
		words=("${COMP_WORDS[@]}")
		cword=$COMP_CWORD
		cur=${words[cword]}
	fi
	((cword > 0)) && prev=${words[cword - 1]}
	COMPREPLY=()

	# The command is the first word that is neither an option nor an
	# option's value; count the operands after it.
	for ((i = 1; i < cword; i++)); do
		case ${words[i]} in
		--store | --catalog | --from | --mount | --project | --status | \
			--since | --until | \
			--limit | --offset | -o | --output | --keep-success | \
			--keep-days | --max-bytes)
			((i++)) ;;
		-*) ;;
		*)
			if [[ -z $cmd ]]; then
				cmd=${words[i]}
			else
				((nargs++ == 0)) && sub=${words[i]}
			fi
			;;
		esac
	done

	case $prev in
	--store | --mount | --from)
		compopt -o filenames 2>/dev/null
		COMPREPLY=($(compgen -d -- "$cur"))
		return 0
		;;
	-o | --output)
		if [[ $cmd == list || $cmd == audit || $cmd == status ]]; then
			compopt -o nospace 2>/dev/null
			COMPREPLY=($(_deployctl_columns "$cmd" "$cur"))
		else
			compopt -o filenames 2>/dev/null
			COMPREPLY=($(compgen -f -- "$cur"))
		fi
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
	--since | --until)
		COMPREPLY=($(compgen -W "1h 2d 1w today yesterday now" -- "$cur"))
		return 0
		;;
	--limit | --offset | --keep-success | --keep-days | --max-bytes | \
		--nodes | --timeout)
		return 0
		;;
	esac

	if [[ -z $cmd ]]; then
		if [[ $cur == -* ]]; then
			COMPREPLY=($(compgen -W "$common --version" -- "$cur"))
		else
			COMPREPLY=($(compgen -W "$commands" -- "$cur"))
		fi
		return 0
	fi

	case $cmd in
	list) opts="--project --status --since --until --limit --offset -o
		--output" ;;
	payload) opts="--output -o" ;;
	push) opts="--wait-delivered" ;;
	rollback) opts= ;;
	status) opts="-o --output" ;;
	wait) opts="--nodes --timeout" ;;
	audit) opts="--since --project --follow -o --output" ;;
	retention) opts="--keep-success --keep-days --max-bytes --clear" ;;
	gc) opts="--dry-run --project" ;;
	verify) opts="--project" ;;
	project) opts="--force" ;;
	show | drop-payload | pin | unpin | init) opts= ;;
	import) opts="--from" ;;
	*) return 0 ;;
	esac
	if [[ $cur == -* ]]; then
		COMPREPLY=($(compgen -W "$opts $common" -- "$cur"))
		return 0
	fi
	case $cmd:$nargs in
	push:0 | rollback:0 | retention:0 | status:0)
		COMPREPLY=($(_deployctl_projects "$cur"))
		;;
	show:0 | payload:0 | drop-payload:0 | pin:0 | unpin:0 | verify:0 | \
		rollback:1 | wait:0)
		COMPREPLY=($(_deployctl_names "$cur"))
		;;
	project:0)
		COMPREPLY=($(compgen -W "list rm" -- "$cur"))
		;;
	project:1)
		[[ $sub == rm ]] &&
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
