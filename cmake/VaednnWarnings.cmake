# vaednn_set_warnings(<target>): the warning set every target of ours compiles with.
function(vaednn_set_warnings target)
  target_compile_options(
    ${target}
    PRIVATE -Wall
            -Wextra
            -Wpedantic
            -Wshadow
            -Wconversion
            -Wsign-conversion
            -Wnon-virtual-dtor
            -Wold-style-cast
            -Wcast-align
            -Wnull-dereference
            -Wdouble-promotion
            -Wformat=2
            -Wimplicit-fallthrough
            $<$<BOOL:${VAEDNN_WARNINGS_AS_ERRORS}>:-Werror>)
endfunction()
