# shellcheck shell=bash
# Generators for the benchmark workloads; sourced by bench/run and bench/make.sh. No downloads:
# everything is written from scratch, the same on every machine.

# A 200-file C project with a Makefile (`make -j2` builds it, `rm -f *.o prog` resets it).
gen_c_project() {
  local dir=$1 i j
  mkdir -p "$dir"
  for i in $(seq 1 200); do
    {
      echo "#include <stdio.h>"
      for j in $(seq 1 20); do echo "static int f${j}(int x) { return x * $j + $i; }"; done
      echo "int unit$i(int x) { int s = 0; for (int k = 0; k < x; ++k) s += f$((i % 20 + 1))(k); return s; }"
    } >"$dir/u$i.c"
  done
  echo "int main(void) { return 0; }" >"$dir/main.c"
  # shellcheck disable=SC2016 # make's variables, not the shell's
  printf 'SRC=$(wildcard *.c)\nOBJ=$(SRC:.c=.o)\nprog: $(OBJ)\n\tcc -o $@ $^\n%%.o: %%.c\n\tcc -O1 -c -o $@ $<\n' >"$dir/Makefile"
}

# A source tree of N small C files and headers (~3.5 KB each) in 40 modules of 5 directories,
# under DIR/src. One file in 50 holds the word "needle".
gen_source_tree() {
  local dir=$1 n=$2
  mkdir -p "$dir"
  # awk, not a shell loop: thousands of files in well under a second.
  awk -v root="$dir/src" -v n="$n" 'BEGIN {
    for (i = 0; i < n; i++) {
      d = sprintf("%s/mod%02d/sub%d", root, i % 40, int(i / 40) % 5)
      if (!(d in made)) { system("mkdir -p \"" d "\""); made[d] = 1 }
      f = sprintf("%s/file%04d.%s", d, i, (i % 4 == 0) ? "h" : "c")
      printf "/* generated file %d: part of a synthetic source tree for warden benchmarks */\n", i > f
      printf "#include <stdio.h>\n#include \"mod%02d.h\"\n\n", i % 40 > f
      for (j = 0; j < 12; j++)
        printf "static int fn_%d_%d(int x, int y) {\n  int acc = x * %d + y;\n  for (int k = 0; k < %d; ++k) acc ^= (acc << 1) + k;\n  return acc %% %d;\n}\n\n", i, j, j + 1, i % 17 + 1, 97 + j > f
      if (i % 50 == 0) printf "/* TODO(bench): needle %d */\n", i > f
      close(f)
    }
  }'
}
