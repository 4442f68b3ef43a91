// A small repository written into a temporary folder: a Python package with
// relative imports and a model, a TypeScript React app with components,
// re-exports and tsconfig paths, and files the scanner must skip.
#pragma once

#include "support/temp_dir.h"

namespace docrunch::testing {

inline void WriteSampleRepository(const TempDir& dir) {
  dir.Write("app/__init__.py", "");
  dir.Write("app/models.py",
            "from sqlalchemy import Column, Integer, String\n"
            "from sqlalchemy.orm import declarative_base\n\n"
            "Base = declarative_base()\n\n"
            "class User(Base):\n"
            "    \"\"\"A registered user.\"\"\"\n"
            "    __tablename__ = 'users'\n"
            "    id = Column(Integer, primary_key=True)\n"
            "    email = Column(String)\n\n"
            "def normalize_email(address):\n"
            "    \"\"\"Lower-case an e-mail address.\"\"\"\n"
            "    return address.strip().lower()\n");
  dir.Write("app/service.py",
            "from .models import User, normalize_email\n"
            "from . import models\n\n"
            "class UserService:\n"
            "    \"\"\"Creates and finds users.\"\"\"\n"
            "    def register(self, email):\n"
            "        clean = normalize_email(email)\n"
            "        return self.find(clean) or User(email=clean)\n\n"
            "    def find(self, email):\n"
            "        return models.normalize_email(email)\n");
  dir.Write("web/tsconfig.json", "{}\n");
  dir.Write("tsconfig.json",
            "{\n  // paths for the web app\n  \"compilerOptions\": {\"baseUrl\": \".\", "
            "\"paths\": {\"@ui/*\": [\"web/components/*\"]}}\n}\n");
  dir.Write("web/components/Button.tsx",
            "import React from 'react';\n\n"
            "/** A clickable button. */\n"
            "export default function Button({label}: {label: string}) {\n"
            "  return <button>{label}</button>;\n}\n");
  dir.Write("web/components/index.ts", "export { default as Button } from './Button';\n");
  dir.Write("web/App.tsx",
            "import React from 'react';\n"
            "import Button from '@ui/Button';\n\n"
            "export function App() {\n"
            "  return <div><Button label=\"Save\" /></div>;\n}\n");
  dir.Write("schema.sql", "CREATE TABLE orders (id INTEGER PRIMARY KEY, total NUMERIC);\n");
  dir.Write("image.png", std::string("\x89PNG\r\n\x1a\n\0\0\0", 11));
  dir.Write("notes.txt", "not code\n");
  dir.Write(".gitignore", "build/\n");
  dir.Write("build/generated.py", "def generated(): pass\n");
}

}  // namespace docrunch::testing
