// Exceptions thrown by libvaednn. Every message is one sentence a user can act on: it names the
// file, flag or tensor at fault and says what is wrong with it.
#pragma once

#include <filesystem>
#include <stdexcept>
#include <string>

#include "vaednn/export.hpp"

namespace vaednn {

// Base of every exception the library throws on purpose. Every exception class is exported
// (VAEDNN_EXPORT), so its type information is one and the same across a shared library's edge
// and a catch in the caller's code matches what the library throws.
class VAEDNN_EXPORT Error : public std::runtime_error {
  public:
    using std::runtime_error::runtime_error;
};

// What is wrong with a data file; lets a caller react to a kind without parsing the message.
enum class DataErrorKind {
    missing_file,      // the file does not exist or cannot be opened
    io,                // the operating system failed a read
    not_gzip,          // named *.gz but not a gzip stream
    corrupt_gzip,      // a gzip stream that zlib cannot inflate
    bad_magic,         // the first two bytes of an IDX file are not zero
    bad_element_type,  // not unsigned bytes (type code 0x08)
    bad_rank,          // not the number of dimensions expected
    header_truncated,  // the file ends inside the header
    zero_dimension,    // a dimension of size zero
    too_large,         // dimensions whose product overflows or exceeds the reader's cap
    data_truncated,    // fewer data bytes than the header promises
    trailing_bytes,    // more data bytes than the header promises
    count_mismatch,    // images and labels disagree on the number of items
    bad_label,         // a label outside 0..9
    bad_shape,         // image sizes the caller cannot use
};

// A data file is missing, unreadable or malformed.
class VAEDNN_EXPORT DataError : public Error {
  public:
    DataError(DataErrorKind kind, std::filesystem::path file, const std::string& what)
        : Error(file.string() + ": " + what), kind_(kind), file_(std::move(file)) {}

    DataErrorKind kind() const noexcept { return kind_; }
    const std::filesystem::path& file() const noexcept { return file_; }

  private:
    DataErrorKind kind_;
    std::filesystem::path file_;
};

// Training produced a loss that is not a finite number.
class VAEDNN_EXPORT NumericalError : public Error {
  public:
    using Error::Error;
};

// A fault of one file, named first in the message ("path: what is wrong").
class VAEDNN_EXPORT FileError : public Error {
  public:
    FileError(std::filesystem::path file, const std::string& what)
        : Error(file.string() + ": " + what), file_(std::move(file)) {}
    const std::filesystem::path& file() const noexcept { return file_; }

  private:
    std::filesystem::path file_;
};

// Writing or reading an output file failed (full disk, permissions, a folder in use).
class VAEDNN_EXPORT IoError : public FileError {
  public:
    using FileError::FileError;
};

// A configuration value the library cannot work with.
class VAEDNN_EXPORT ConfigError : public Error {
  public:
    using Error::Error;
};

}  // namespace vaednn
