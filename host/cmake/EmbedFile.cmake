# SPDX-License-Identifier: Apache-2.0
# cmake -DIN=file -DOUT=file.c -DSYMBOL=name -P EmbedFile.cmake: a C array of the file's bytes.
file(READ ${IN} hex HEX)
string(LENGTH "${hex}" n)
math(EXPR bytes "${n} / 2")
string(REGEX REPLACE "([0-9a-f][0-9a-f])" "0x\\1," body "${hex}")
file(WRITE ${OUT} "/* generated from ${IN} */\n#include <stddef.h>\n"
     "const char ${SYMBOL}[] = {${body}0x00};\nconst size_t ${SYMBOL}_len = ${bytes};\n")
