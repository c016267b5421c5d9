# Baton: one binary. `make` builds ./baton; `make test`, `make bench`, `make run`.
# SANITIZE=1 builds into build/san with ASan+UBSan and runs the same suite.

CC      ?= gcc
PKGS    := libmicrohttpd jansson libsodium sqlite3 libcurl libzip poppler-glib \
           libcmark libxml-2.0 gmime-3.0 hunspell
WARN    := -Wall -Wextra -Werror -Wshadow -Wmissing-prototypes -Wstrict-prototypes \
           -Wpointer-arith -Wformat=2 -Wvla -Wundef -Wwrite-strings -Wno-unused-parameter \
           -Wno-format-truncation
CFLAGS  ?= -O2 -g
ALL_CFLAGS := -std=c17 -D_GNU_SOURCE -DBATON_VERSION=\"0.1.0\" $(WARN) $(CFLAGS) -Isrc -Ibuild \
           $(shell pkg-config --cflags $(PKGS) 2>/dev/null)
LDLIBS  := $(shell pkg-config --libs $(PKGS) 2>/dev/null) -lstemmer -llinear -lwordnet -lpthread -lm

ifeq ($(SANITIZE),1)
BUILD   := build/san
ALL_CFLAGS += -O1 -fsanitize=address,undefined -fno-omit-frame-pointer -fno-sanitize-recover=undefined
LDFLAGS += -fsanitize=address,undefined
BIN     := build/san/baton
else
BUILD   := build/rel
BIN     := baton
endif

SRC      := $(sort $(wildcard src/*/*.c))
LIB_SRC  := $(filter-out src/cli/main.c,$(SRC))
WEB      := $(sort $(shell find web -type f 2>/dev/null))
OBJ      := $(patsubst src/%.c,$(BUILD)/%.o,$(LIB_SRC)) $(BUILD)/assets.o $(BUILD)/migrations.o $(BUILD)/demo_files.o
TEST_SRC := $(sort $(wildcard tests/*/test_*.c))
TEST_BIN := $(patsubst tests/%.c,$(BUILD)/tests/%,$(TEST_SRC))
TOOL_SRC := $(sort $(wildcard bench/*.c tests/fuzz/*.c))

.PHONY: all deps run test bench clean check-layers fuzz test-bins
all: $(BIN)

deps:
	@scripts/deps.sh

$(BIN): $(OBJ) $(BUILD)/cli/main.o
	@echo "LD $@"; $(CC) $(LDFLAGS) -o $@ $^ $(LDLIBS)

$(BUILD)/%.o: src/%.c $(wildcard src/*/*.h)
	@mkdir -p $(dir $@)
	@echo "CC $<"; $(CC) $(ALL_CFLAGS) -MMD -c -o $@ $<

# Web assets are compiled into the binary with a content hash as ETag.
$(BUILD)/embed: scripts/embed.c
	@mkdir -p $(dir $@)
	$(CC) -std=c17 -O1 -Wall -Wno-format-truncation -Werror -o $@ $< $(shell pkg-config --cflags --libs libsodium)
$(BUILD)/assets.c: $(BUILD)/embed $(WEB)
	$(BUILD)/embed web $@ assets
$(BUILD)/migrations.c: $(BUILD)/embed $(wildcard src/store/sql/*.sql)
	$(BUILD)/embed src/store/sql $@ store_migrations
$(BUILD)/demo_files.c: $(BUILD)/embed $(shell find demo/kb demo/copies -type f 2>/dev/null)
	$(BUILD)/embed demo $@ demo_files
$(BUILD)/%.o: $(BUILD)/%.c
	$(CC) -std=c17 -O1 -Isrc -c -o $@ $<

$(BUILD)/tests/%: tests/%.c tests/test.h $(OBJ)
	@mkdir -p $(dir $@)
	@echo "LD $@"; $(CC) $(ALL_CFLAGS) -Itests -o $@ $< $(OBJ) $(LDFLAGS) $(LDLIBS)

$(BUILD)/bench/%: bench/%.c $(OBJ)
	@mkdir -p $(dir $@)
	@echo "LD $@"; $(CC) $(ALL_CFLAGS) -o $@ $< $(OBJ) $(LDFLAGS) $(LDLIBS)

test-bins: $(TEST_BIN)

check-layers:
	@scripts/check_layers.sh

# run, test and bench install missing packages first, then build in a second
# make: this one's pkg-config flags were read before the packages existed.
run: deps
	@$(MAKE) --no-print-directory $(BIN)
	@scripts/run.sh $(abspath $(BIN))

test: deps
	@$(MAKE) --no-print-directory $(BIN) test-bins
	@BATON=$(abspath $(BIN)) BUILD=$(BUILD) SANITIZE=$(SANITIZE) tests/run.sh

bench: deps
	@$(MAKE) --no-print-directory $(BIN) $(patsubst bench/%.c,$(BUILD)/bench/%,$(wildcard bench/*.c))
	@BATON=$(abspath $(BIN)) BUILD=$(BUILD) bench/run.sh

clean:
	rm -rf build baton

-include $(shell find build -name '*.d' 2>/dev/null)
