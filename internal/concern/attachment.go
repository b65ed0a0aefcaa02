package concern

import (
	"archive/zip"
	"bytes"
	"io"
	"path"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"
)

// Attachment is a file attached to a concern (or to a form not yet
// submitted), without its bytes.
type Attachment struct {
	PublicID    string // the random key in its download URL
	Name        string // the display name: the uploaded name, cleaned
	ContentType string // decided by the file's content
	Size        int64
	SHA256      []byte
	CreatedAt   time.Time
}

// File is an attachment's bytes, for download.
type File struct {
	Attachment
	Content []byte
}

// Upload is a file as it arrived: the name the person's device gave it and
// its bytes.
type Upload struct {
	Name    string
	Content []byte
}

// Limits on attachments.
const (
	MaxAttachments    = 10
	MaxAttachmentSize = 20 << 20 // 20 MB
)

// The content types Haven accepts.
const (
	TypePDF  = "application/pdf"
	TypeDOCX = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"
	TypePNG  = "image/png"
	TypeJPEG = "image/jpeg"
	TypeHEIC = "image/heic"
)

// IsImage reports whether a content type is a picture.
func IsImage(contentType string) bool { return strings.HasPrefix(contentType, "image/") }

// Extension is the file name extension of an accepted content type.
func Extension(contentType string) string {
	switch contentType {
	case TypePDF:
		return ".pdf"
	case TypeDOCX:
		return ".docx"
	case TypePNG:
		return ".png"
	case TypeJPEG:
		return ".jpg"
	case TypeHEIC:
		return ".heic"
	}
	return ""
}

// Problems with a file, shown beside the attachments field after its name.
const (
	msgWrongType = "must be a PDF, a Word document (DOCX), or a PNG, JPEG or HEIC image"
	msgActive    = "is a web page or an SVG image, which could run code: attach a PDF, a Word document (DOCX), or a PNG, JPEG or HEIC image"
	msgMacros    = "is a Word document with macros, which could run code: save it as an ordinary Word document (DOCX) or a PDF"
	msgEmpty     = "is empty"
	msgTooLarge  = "must be smaller than 20 MB"
	// UKCISAdvice is the UKCIS guidance shown wherever an image is refused.
	UKCISAdvice = "Images cannot be attached to a concern about sexual abuse, exploitation or sharing nudes. " +
		"Do not view, copy, forward or delete the image: tell the DSL where it is."
)

// sniff decides a file's type from its content alone. It returns the content
// type, or "" and the problem (to follow the file's name in a message).
func sniff(b []byte) (contentType, problem string) {
	switch {
	case len(b) == 0:
		return "", msgEmpty
	case bytes.HasPrefix(b, []byte("%PDF-")):
		return TypePDF, ""
	case bytes.HasPrefix(b, []byte("\x89PNG\r\n\x1a\n")):
		return TypePNG, ""
	case bytes.HasPrefix(b, []byte{0xFF, 0xD8, 0xFF}):
		return TypeJPEG, ""
	case isHEIC(b):
		return TypeHEIC, ""
	case bytes.HasPrefix(b, []byte("PK\x03\x04")):
		return sniffDOCX(b)
	case looksActive(b):
		return "", msgActive
	}
	return "", msgWrongType
}

// isHEIC recognises an ISO base media file whose brand is HEIC.
func isHEIC(b []byte) bool {
	if len(b) < 16 || string(b[4:8]) != "ftyp" {
		return false
	}
	switch string(b[8:12]) {
	case "heic", "heix", "heim", "heis":
		return true
	case "mif1", "msf1":
		size := int(b[0])<<24 | int(b[1])<<16 | int(b[2])<<8 | int(b[3])
		if size > len(b) || size > 256 {
			size = min(len(b), 256)
		}
		for i := 16; i+4 <= size; i += 4 {
			if string(b[i:i+4]) == "heic" {
				return true
			}
		}
	}
	return false
}

// maxZipEntries caps the entries of a DOCX Haven will look inside; a real
// Word document has a few dozen.
const maxZipEntries = 5000

// sniffDOCX accepts a ZIP that is a Word document: it has
// [Content_Types].xml and a word/ folder, and no macros. Only the central
// directory and [Content_Types].xml (capped) are read; nothing is unpacked.
func sniffDOCX(b []byte) (string, string) {
	r, err := zip.NewReader(bytes.NewReader(b), int64(len(b)))
	if err != nil || len(r.File) > maxZipEntries {
		return "", msgWrongType
	}
	var types *zip.File
	hasWord := false
	for _, f := range r.File {
		name := strings.ToLower(f.Name)
		switch {
		case f.Name == "[Content_Types].xml":
			types = f
		case strings.HasPrefix(name, "word/"):
			hasWord = true
		}
		if strings.HasSuffix(name, "vbaproject.bin") {
			return "", msgMacros
		}
	}
	if types == nil || !hasWord {
		return "", msgWrongType
	}
	rc, err := types.Open()
	if err != nil {
		return "", msgWrongType
	}
	defer rc.Close()
	xml, err := io.ReadAll(io.LimitReader(rc, 1<<20))
	if err != nil {
		return "", msgWrongType
	}
	if bytes.Contains(bytes.ToLower(xml), []byte("macroenabled")) {
		return "", msgMacros
	}
	if !bytes.Contains(xml, []byte("wordprocessingml.document.main+xml")) {
		return "", msgWrongType
	}
	return TypeDOCX, ""
}

// looksActive recognises HTML, SVG and XML, which a browser could run.
func looksActive(b []byte) bool {
	head := bytes.ToLower(bytes.TrimLeft(bytes.TrimPrefix(b[:min(len(b), 1024)], []byte("\xEF\xBB\xBF")), " \t\r\n"))
	for _, p := range []string{"<!doctype", "<html", "<svg", "<?xml", "<script", "<head", "<body", "<iframe", "<!--"} {
		if bytes.HasPrefix(head, []byte(p)) {
			return true
		}
	}
	return bytes.Contains(head, []byte("<svg")) || bytes.Contains(head, []byte("<script"))
}

// CleanName turns the name a device gave a file into a display name: the
// last part of any path, without control or bidirectional characters, at
// most 120 bytes, ending in the extension of its real type (contentType;
// "" keeps the extension it came with).
func CleanName(name, contentType string) string {
	name = strings.ReplaceAll(name, "\\", "/")
	name = path.Base(name)
	if !utf8.ValidString(name) {
		name = strings.ToValidUTF8(name, "")
	}
	name = strings.Map(func(r rune) rune {
		if unicode.IsControl(r) || isBidiControl(r) || r == '"' || r == '/' {
			return -1
		}
		return r
	}, name)
	name = strings.Trim(strings.TrimSpace(name), ".")
	ext := Extension(contentType)
	base := name
	if dot := strings.LastIndexByte(name, '.'); dot >= 0 && ext == "" {
		base, ext = name[:dot], name[dot:] // the type is not known: keep the name as given
	} else if dot >= 0 {
		base = name[:dot]
		if strings.EqualFold(name[dot:], ext) || (ext == ".jpg" && strings.EqualFold(name[dot:], ".jpeg")) {
			ext = name[dot:]
		}
	}
	base = strings.TrimSpace(base)
	if base == "" {
		base = "attachment"
	}
	for len(base)+len(ext) > 120 {
		_, size := utf8.DecodeLastRuneInString(base)
		base = base[:len(base)-size]
	}
	return base + ext
}

func isBidiControl(r rune) bool {
	return (r >= 0x202A && r <= 0x202E) || (r >= 0x2066 && r <= 0x2069) || r == 0x200E || r == 0x200F || r == 0x061C
}
